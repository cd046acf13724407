package dev.parlance.models;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HubAccessTest {
    @TempDir
    Path home;

    @Test
    void withoutVariablesItIsTheHubWithTheTokenHfAuthLoginSaved() throws IOException {
        assertThat(HubAccess.fromEnvironment(Map.of(), home))
                .isEqualTo(new HubAccess(URI.create("https://huggingface.co"), Optional.empty()));
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_saved\n");
        assertThat(HubAccess.fromEnvironment(Map.of(), home).token()).hasValue("hf_saved");
    }

    @Test
    void hfEndpointAndHfTokenOverrideTheDefaults() throws IOException {
        Files.createDirectories(home.resolve(".cache/huggingface"));
        Files.writeString(home.resolve(".cache/huggingface/token"), "hf_saved");
        var access = HubAccess.fromEnvironment(Map.of("HF_ENDPOINT", "https://mirror.example/", "HF_TOKEN", "hf_env"), home);
        assertThat(access.endpoint()).isEqualTo(URI.create("https://mirror.example"));
        assertThat(access.token()).hasValue("hf_env");
    }

    @Test
    void hfHomeAndHfTokenPathSayWhereTheSavedTokenIs() throws IOException {
        Files.writeString(home.resolve("token"), "hf_in_hf_home");
        Files.writeString(home.resolve("elsewhere"), "hf_in_token_path");
        assertThat(HubAccess.fromEnvironment(Map.of("HF_HOME", home.toString()), home).token()).hasValue("hf_in_hf_home");
        assertThat(HubAccess.fromEnvironment(Map.of("HF_TOKEN_PATH", home.resolve("elsewhere").toString()), home).token())
                .hasValue("hf_in_token_path");
    }

    @Test
    void urlsFollowTheHubsLayoutWithTheirPartsEncoded() {
        var access = new HubAccess(URI.create("http://127.0.0.1:8080"), Optional.empty());
        assertThat(access.resolveUri("o/m", "refs/pr/1", "sub dir/m-Q4_K_M.gguf")).hasToString(
                "http://127.0.0.1:8080/o/m/resolve/refs%2Fpr%2F1/sub%20dir/m-Q4_K_M.gguf");
        assertThat(access.modelApiUri("o/m", "main")).hasToString("http://127.0.0.1:8080/api/models/o/m/revision/main");
    }

    @Test
    void theTokenMayGoOnlyToTheEndpointsOrigin() {
        var access = new HubAccess(URI.create("https://huggingface.co"), Optional.of("t"));
        assertThat(access.isEndpoint(URI.create("https://huggingface.co:443/o/m/resolve/main/x"))).isTrue();
        assertThat(access.isEndpoint(URI.create("https://cdn-lfs.huggingface.co/x"))).isFalse();
        assertThat(access.isEndpoint(URI.create("http://huggingface.co/x"))).isFalse();
        assertThat(access.isEndpoint(URI.create("https://huggingface.co:8443/x"))).isFalse();
    }

    @Test
    void aSavedTokenIsReadBackFromWhereHfAuthLoginKeepsIt() throws IOException {
        Path file = HubAccess.saveToken(Map.of(), home, "  hf_pasted \n");
        assertThat(file).isEqualTo(home.resolve(".cache/huggingface/token"));
        assertThat(Files.readString(file)).isEqualTo("hf_pasted");
        assertThat(HubAccess.fromEnvironment(Map.of(), home).token()).hasValue("hf_pasted");
        assertThat(Files.getPosixFilePermissions(file)).containsExactlyInAnyOrder(
                PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE);
    }

    @Test
    void savingABlankTokenRemovesTheSavedOne() throws IOException {
        var env = Map.of("HF_TOKEN_PATH", home.resolve("my-token").toString());
        HubAccess.saveToken(env, home, "hf_old");
        assertThat(HubAccess.fromEnvironment(env, home).token()).hasValue("hf_old");
        HubAccess.saveToken(env, home, " ");
        assertThat(home.resolve("my-token")).doesNotExist();
        assertThat(HubAccess.fromEnvironment(env, home).token()).isEmpty();
    }
}
