"""paichan scheduling core: domain, planning and use cases. No I/O framework imports."""
