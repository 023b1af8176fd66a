"""Where refresh and review write on the Start, Review and Journey sheets (arbook owns exactly
these cells there).

Kept apart from ``template`` so a refresh does not import openpyxl just for four numbers.
"""

START_STAMP_ROW = 9  # label in A, value in B
START_BLOCK_TOP = 12  # header row of the totals block
START_BLOCK_WIDTH = 7  # label column + up to six currencies
START_BLOCK_HEIGHT = 16
# Checklist progress on the Start sheet (written by review), below the totals block.
START_PROGRESS_TOP = START_BLOCK_TOP + START_BLOCK_HEIGHT + 2
START_PROGRESS_WIDTH = 4
START_PROGRESS_HEIGHT = 16
# The Review sheet: arbook owns the block A..H from REVIEW_BLOCK_TOP, and the chart data
# (bucket, amount) in J..K; the ageing chart reads J..K, the trend chart reads the History table.
REVIEW_BLOCK_TOP = 3
REVIEW_BLOCK_WIDTH = 8
REVIEW_BLOCK_HEIGHT = 220
REVIEW_CHART_COL = 10  # J
REVIEW_CHART_ROWS = 12  # header + up to 11 buckets
HISTORY_CHART_ROWS = 104  # two years of weekly reviews
# The Journey sheet: customer id in A2 (table tblJourney), touchpoints from row 4.
JOURNEY_BLOCK_TOP = 4
JOURNEY_BLOCK_WIDTH = 7
JOURNEY_BLOCK_HEIGHT = 400
