

def test_long_text_is_cut_between_lines_into_messages_telegram_takes() -> None:
    from handlers.render import chunks

    lines = [f"line {i} " + "x" * (i % 50) for i in range(400)]
    text = "\n".join(lines)
    parts = chunks(text, limit=500)
    assert len(parts) > 1 and all(len(p) <= 500 for p in parts)
    assert "\n".join(parts) == text  # nothing lost, cut only at line ends
    assert chunks("short") == ["short"] and chunks("") == [""]
    long_line = "y" * 1200
    assert chunks(long_line, limit=500) == ["y" * 500, "y" * 500, "y" * 200]
