package dev.parlance.models;

/** Whether a variant fits this machine's free memory and disk. */
public enum Fit {
    /** At least {@link MachineResources#SPARE_FRACTION} of memory and disk stays free. */
    FITS,
    /** It fits, with less than that to spare: other programs may have to close. */
    TIGHT,
    /** Not enough memory or disk. */
    TOO_BIG,
    /** The free memory could not be read. */
    UNKNOWN
}
