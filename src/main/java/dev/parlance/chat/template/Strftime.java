package dev.parlance.chat.template;

import java.time.LocalDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/**
 * Python's {@code datetime.strftime} in the C locale (English names), for {@code strftime_now}.
 * Templates ask for {@code %d %b %Y}, {@code %B %d, %Y}, {@code %Y-%m-%d} and the like.
 */
public final class Strftime {
    private Strftime() {
    }

    /**
     * Formats a local date-time.
     *
     * @param format a Python strftime format; unknown directives are kept as written, as glibc does
     * @param t the time to format
     */
    public static String format(String format, LocalDateTime t) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 >= format.length()) {
                sb.append(c);
                continue;
            }
            char d = format.charAt(++i);
            switch (d) {
                case 'Y': sb.append(t.getYear()); break;
                case 'y': sb.append(String.format("%02d", t.getYear() % 100)); break;
                case 'm': sb.append(String.format("%02d", t.getMonthValue())); break;
                case 'd': sb.append(String.format("%02d", t.getDayOfMonth())); break;
                case 'e': sb.append(String.format("%2d", t.getDayOfMonth())); break;
                case 'j': sb.append(String.format("%03d", t.getDayOfYear())); break;
                case 'H': sb.append(String.format("%02d", t.getHour())); break;
                case 'I': sb.append(String.format("%02d", (t.getHour() + 11) % 12 + 1)); break;
                case 'M': sb.append(String.format("%02d", t.getMinute())); break;
                case 'S': sb.append(String.format("%02d", t.getSecond())); break;
                case 'f': sb.append(String.format("%06d", t.getNano() / 1000)); break;
                case 'p': sb.append(t.getHour() < 12 ? "AM" : "PM"); break;
                case 'B': sb.append(t.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH)); break;
                case 'b': case 'h': sb.append(t.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)); break;
                case 'A': sb.append(t.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH)); break;
                case 'a': sb.append(t.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH)); break;
                case 'w': sb.append(t.getDayOfWeek().getValue() % 7); break;
                case 'u': sb.append(t.getDayOfWeek().getValue()); break;
                case 'F': sb.append(format("%Y-%m-%d", t)); break;
                case 'D': sb.append(format("%m/%d/%y", t)); break;
                case 'T': sb.append(format("%H:%M:%S", t)); break;
                case 'R': sb.append(format("%H:%M", t)); break;
                case 'c': sb.append(format("%a %b %e %H:%M:%S %Y", t)); break;
                case 'x': sb.append(format("%m/%d/%y", t)); break;
                case 'X': sb.append(format("%H:%M:%S", t)); break;
                case 'n': sb.append('\n'); break;
                case 't': sb.append('\t'); break;
                case '%': sb.append('%'); break;
                default: sb.append('%').append(d);
            }
        }
        return sb.toString();
    }
}
