package dev.parlance.ui;

/** The app's colour scheme: the OS's (and following it when it changes), AtlantaFX Primer Light or Primer Dark. */
public enum Theme { SYSTEM, LIGHT, DARK }
