"""The stages, each a function of documented tables.

neighbourhoods -> match -> features -> classify -> select -> catalogue
"""
