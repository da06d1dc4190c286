"""Views of what the user picked on the map, one module each: a point (reconstruction, neighbours,
traversal, denoising, compression), a decoded spot, or a box/lasso selection. Each `render` reads the
Workspace and aecore's results and draws; nothing here trains or projects."""
