"""The pages of the dashboard, one module each (`render(...)`), drawn by `dashboard/app.py` in tabs.

Not `pages/`: Streamlit takes a `pages/` folder beside the main script for its own multipage
navigation and would run every module of it as a page of its own.
"""
