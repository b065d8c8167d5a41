"""Nahraum analysis: regions, population, services, networks, travel times, measures."""
