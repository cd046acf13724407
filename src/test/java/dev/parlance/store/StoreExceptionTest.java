package dev.parlance.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

class StoreExceptionTest {
    private static final Path FILE = Path.of("home", "ana", "parlance", "parlance.db");

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "SQLITE_FULL            | DISK_FULL    | true  | because the disk is full",
        "SQLITE_READONLY        | NOT_WRITABLE | true  | may not write to",
        "SQLITE_READONLY_DBMOVED| NOT_WRITABLE | true  | may not write to",
        "SQLITE_CANTOPEN        | NOT_WRITABLE | true  | Check that the folder exists",
        "SQLITE_IOERR_WRITE     | DISK_ERROR   | true  | the disk reported an error",
        "SQLITE_BUSY            | BUSY         | true  | another program is using",
        "SQLITE_CORRUPT         | DAMAGED      | false | is damaged",
        "SQLITE_NOTADB          | DAMAGED      | false | is damaged",
        "SQLITE_CONSTRAINT      | OTHER        | false | Could not save your conversations:",
    })
    void databaseErrorsAreTranslatedIntoPlainWords(
            SQLiteErrorCode code, StoreException.Reason reason, boolean temporary, String words) {
        StoreException e = StoreException.from(
                new SQLiteException("[SQLITE] raw", code), "save your conversations", FILE);

        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.isTemporary()).isEqualTo(temporary);
        assertThat(e.getMessage()).startsWith("Could not save your conversations").contains(words);
    }
}
