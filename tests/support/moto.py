"""moto in server mode for the tests: the same child process the local run uses."""

from devstack.moto import MotoProcess as MotoServer
from devstack.moto import free_port

__all__ = ["MotoServer", "free_port"]
