"""The client side of Tempogram's workflows: starting, signalling and stopping them, one module per area.

Used by the API and by activities; never imported by workflow code (which must stay deterministic).
"""
