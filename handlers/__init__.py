"""Chat flows: parse a message, call a use case, render the view."""
