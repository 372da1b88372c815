package org.jairouter.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jairouter.budget.BudgetLedger;
import org.jairouter.config.ConfigLoader;
import org.jairouter.ir.RouterIr;
import org.jairouter.xds.EnvoyFleet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The status server serves the dashboard from the jar: the page, and every file the page and its
 * scripts load, with types a browser accepts for them; nothing else under the dashboard's path.
 */
class DashboardFilesServedTest {
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    /** src="/…" and href="/…" in HTML; import … from './…' in a module. */
    private static final Pattern HTML_LINK = Pattern.compile("(?:src|href)=\"(/dashboard/[^\"]+)\"");

    private static final Pattern MODULE_IMPORT = Pattern.compile("from '\\./([^']+)'");
    private StatusServer server;

    @BeforeEach
    void start() throws Exception {
        RouterIr ir = RouterIr.of(ConfigLoader.parse("""
                model:
                  services:
                    chat:
                      instances:
                        - {name: m, base-url: "http://127.0.0.1:1"}
                """, "test.yml").config());
        server = StatusServer.start(
                "127.0.0.1",
                0,
                new StatusReport(
                        () -> ir, Optional::empty, new ConfigStatus(), new EnvoyFleet(), () -> BudgetLedger.Books.NONE),
                exchange -> {
                    exchange.sendResponseHeaders(404, -1);
                    exchange.close();
                });
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void thePageAndEveryFileItLoadsAreServed() throws Exception {
        HttpResponse<String> page = get("/");
        assertEquals(200, page.statusCode());
        assertEquals(
                "text/html; charset=utf-8",
                page.headers().firstValue("content-type").orElseThrow());

        List<String> files = links(HTML_LINK, page.body(), "");
        assertTrue(files.contains("/dashboard/dashboard.js"), page.body());
        for (int i = 0; i < files.size(); i++) {
            HttpResponse<String> file = get(files.get(i));
            assertEquals(200, file.statusCode(), files.get(i));
            String type = file.headers().firstValue("content-type").orElseThrow();
            assertEquals(
                    files.get(i).endsWith(".css") ? "text/css; charset=utf-8" : "text/javascript; charset=utf-8",
                    type,
                    files.get(i));
            if (files.get(i).endsWith(".js")) {
                links(MODULE_IMPORT, file.body(), "/dashboard/").stream()
                        .filter(f -> !files.contains(f))
                        .forEach(files::add);
            }
        }
        assertTrue(files.contains("/dashboard/prometheus.js"), files.toString());
    }

    @Test
    void nothingElseIsServed() throws Exception {
        for (String path : List.of(
                "/dashboard/",
                "/dashboard/missing.js",
                "/dashboard/../index.html",
                "/index.html",
                "/dashboard/dashboard/index.html")) {
            HttpResponse<String> response = get(path);
            assertEquals(404, response.statusCode(), path);
            assertTrue(response.body().contains("Invalid URL"), response.body());
        }
        HttpResponse<String> post = HTTP.send(
                HttpRequest.newBuilder(uri("/"))
                        .POST(HttpRequest.BodyPublishers.noBody())
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, post.statusCode());
    }

    private static List<String> links(Pattern pattern, String text, String prefix) {
        List<String> found = new ArrayList<>();
        Matcher matcher = pattern.matcher(text);
        while (matcher.find()) {
            found.add(prefix + matcher.group(1));
        }
        return found;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(uri(path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + server.port() + path);
    }
}
