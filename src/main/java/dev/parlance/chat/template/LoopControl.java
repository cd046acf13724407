package dev.parlance.chat.template;

/** Unwinds a loop body on {@code break} or {@code continue}; stackless because it is control flow. */
abstract class LoopControl extends RuntimeException {
    private static final long serialVersionUID = 1L;

    static final Break BREAK = new Break();
    static final Continue CONTINUE = new Continue();

    private LoopControl() {
        super(null, null, false, false);
    }

    static final class Break extends LoopControl {
        private static final long serialVersionUID = 1L;
    }

    static final class Continue extends LoopControl {
        private static final long serialVersionUID = 1L;
    }
}
