"""The LINE rich menu: versioned definition files, the image we draw for them, and their deployment.

Importing this package is cheap (no Pillow, no SDK): postback handlers read RICH_MENU_ACTIONS from here.
"""
from bot.richmenu.definition import RICH_MENU_ACTIONS, MenuDefinition, RichMenuDefinitionError, load_menu

__all__ = ["RICH_MENU_ACTIONS", "MenuDefinition", "RichMenuDefinitionError", "load_menu"]
