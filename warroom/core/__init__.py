"""The plain-Python core: no Textual import here, ever."""
