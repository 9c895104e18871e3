from . import dunning_notice
