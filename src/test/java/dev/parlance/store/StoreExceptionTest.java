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

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0       | DISK_FULL  | because the disk is full",
        "4096    | DISK_FULL  | because the disk is full",
        "-1      | DISK_ERROR | the disk reported an error",
        "9000000 | DISK_ERROR | the disk reported an error",
    })
    void anInputOutputErrorOnAFullDiskIsSaidAsAFullDisk(long freeBytes, StoreException.Reason reason, String words) {
        // what SQLite reports when the shared-memory file cannot grow on a full disk
        StoreException e = StoreException.from(new SQLiteException("[SQLITE] raw", SQLiteErrorCode.SQLITE_IOERR_SHMSIZE),
                "open your conversations", FILE, folder -> freeBytes);

        assertThat(e.reason()).isEqualTo(reason);
        assertThat(e.getMessage()).contains(words);
    }
}
