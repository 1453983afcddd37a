"""``kg report``: a static, self-contained HTML site about the graph."""
