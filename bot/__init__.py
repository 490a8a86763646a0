"""paichan composition root: settings, CLI, servers. Nothing imports this package."""
