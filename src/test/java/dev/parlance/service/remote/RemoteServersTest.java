package dev.parlance.service.remote;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RemoteServersTest {
    @TempDir
    Path dir;

    @Test
    void addedServersAreReadBackInOrder() throws IOException {
        RemoteServers servers = RemoteServers.in(dir.resolve("data"));
        assertThat(servers.list()).isEmpty();
        servers.add(new RemoteServer("big box", URI.create("http://10.0.0.5:8000"), "sk-abc"));
        servers.add(new RemoteServer("laptop", URI.create("http://127.0.0.1:8080/v1/"), null));

        RemoteServers again = RemoteServers.in(dir.resolve("data"));
        assertThat(again.list()).containsExactly(
                new RemoteServer("big box", URI.create("http://10.0.0.5:8000/v1"), "sk-abc"),
                new RemoteServer("laptop", URI.create("http://127.0.0.1:8080/v1"), null));
        assertThat(again.find("BIG BOX")).hasValueSatisfying(s -> assertThat(s.apiKey()).isEqualTo("sk-abc"));
    }

    @Test
    void aServerOfTheSameNameIsReplacedAndOneCanBeRemoved() throws IOException {
        RemoteServers servers = RemoteServers.in(dir);
        servers.add(new RemoteServer("box", URI.create("http://a:1"), null));
        servers.add(new RemoteServer("Box", URI.create("http://b:2"), "k"));
        assertThat(servers.list()).extracting(RemoteServer::baseUrl).containsExactly(URI.create("http://b:2/v1"));
        assertThat(servers.remove("box")).isTrue();
        assertThat(servers.remove("box")).isFalse();
        assertThat(servers.list()).isEmpty();
    }

    @Test
    void theFileIsTheOwnersOnly() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"),
                "this file system has no POSIX permissions");
        RemoteServers servers = RemoteServers.in(dir);
        servers.add(new RemoteServer("box", URI.create("http://a:1"), "sk-secret"));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(servers.file()))).isEqualTo("rw-------");

        Files.setPosixFilePermissions(servers.file(), PosixFilePermissions.fromString("rw-r--r--"));
        servers.list();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(servers.file()))).isEqualTo("rw-------");
    }

    @Test
    void aDamagedFileIsSaidWithoutItsContents() throws IOException {
        RemoteServers servers = RemoteServers.in(dir);
        Files.writeString(servers.file(), "[{\"name\": \"x\", \"apiKey\": \"sk-leak\"}");
        assertThatThrownBy(servers::list).isInstanceOf(IOException.class)
                .hasMessageContaining("is not a list of servers").hasMessageNotContaining("sk-leak");
    }
}
