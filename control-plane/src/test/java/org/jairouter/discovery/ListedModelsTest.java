package org.jairouter.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** A server's model list, read into the models the router serves of it. */
class ListedModelsTest {

    @Test
    void modelsAreSortedByNameSoThatTheServersOrderChangesNothing() throws IOException {
        ListedModels listed = ListedModels.read("""
                {"object": "list", "data": [
                  {"id": "qwen3:1.7b", "object": "model", "owned_by": "library"},
                  {"id": "llama3.2", "object": "model", "owned_by": "library"},
                  {"id": "llama3.2", "object": "model", "owned_by": "library"}]}""");

        assertEquals(List.of("llama3.2", "qwen3:1.7b"), listed.models());
        assertEquals(2, listed.listed());
    }

    @Test
    void aServerListingMoreThanTheCapIsServedItsFirstModelsByName() throws IOException {
        String data = IntStream.range(0, ListedModels.MAX_PER_SERVER + 50)
                .mapToObj(i -> "{\"id\": \"m%03d\"}".formatted(i))
                .collect(Collectors.joining(","));

        ListedModels listed = ListedModels.read("{\"data\": [" + data + "]}");

        assertEquals(ListedModels.MAX_PER_SERVER, listed.models().size());
        assertEquals("m000", listed.models().get(0));
        assertEquals(ListedModels.MAX_PER_SERVER + 50, listed.listed());
        assertTrue(listed.capped());
    }

    @Test
    void namesTheRouterCannotRouteAreLeftOut() throws IOException {
        String tooLong = "m".repeat(257);

        ListedModels listed =
                ListedModels.read("{\"data\": [{\"id\": \"\"}, {\"id\": \"" + tooLong + "\"}, {\"id\": \"ok\"}]}");

        assertEquals(List.of("ok"), listed.models());
    }

    @Test
    void anAnswerThatIsNoModelListIsAProblem() {
        assertThrows(IOException.class, () -> ListedModels.read("{\"models\": []}"));
        assertThrows(IOException.class, () -> ListedModels.read("<html>"));
    }
}
