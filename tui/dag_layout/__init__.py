"""Left-to-right DAG layout for the terminal: grandalf ranks and orders, we route and draw.

Pure Python, no Textual: ``layout_dag(nodes, edges)`` returns a :class:`DagCanvas` of text rows
plus where each node sits, which the app's DagView renders line by line.
"""

from .canvas import DagCanvas, NodeBox
from .layout import layout_dag, neighbourhood, preload

__all__ = ["DagCanvas", "NodeBox", "layout_dag", "neighbourhood", "preload"]
