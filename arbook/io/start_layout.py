"""Where refresh writes on the Start sheet (arbook owns exactly these cells there).

Kept apart from ``template`` so a refresh does not import openpyxl just for four numbers.
"""

START_STAMP_ROW = 9  # label in A, value in B
START_BLOCK_TOP = 12  # header row of the totals block
START_BLOCK_WIDTH = 7  # label column + up to six currencies
START_BLOCK_HEIGHT = 16
