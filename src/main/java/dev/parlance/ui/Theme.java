package dev.parlance.ui;

/** The app's colour scheme: AtlantaFX Primer Light or Primer Dark. */
public enum Theme { LIGHT, DARK }
