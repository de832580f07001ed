"""The SimPy world: factories, lines, customers. Never imports pandas, never prints."""

from flexsim.model.world import World, build

__all__ = ["World", "build"]
