"""Testing kit: the pytest plugin's fixtures and the in-process ``mock_questline()`` mode."""
