package org.jairouter.config;

import static org.jairouter.config.ConfigTexts.assertProblem;
import static org.jairouter.config.ConfigTexts.load;
import static org.jairouter.config.ConfigTexts.onlyProblem;
import static org.jairouter.config.ConfigTexts.problems;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Configs that are rejected: each problem names the line, the key path and what is wrong. */
class ConfigLoaderErrorsTest {

    @Test
    void yamlSyntaxErrorIsReportedAtTheLineOfTheProblem() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: qwen3 base-url: http://h
                """);
        assertProblem(problem, 5, "", "invalid YAML: mapping values are not allowed here");
    }

    @Test
    void unknownServiceSuggestsTheNearestOne() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chatt:
                      instances:
                        - name: m
                          base-url: http://h
                """);
        assertProblem(problem, 3, "model.services.chatt", "unknown service; did you mean 'chat'?");
    }

    @Test
    void unknownServiceFarFromAnyListsTheServices() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    completions: {instances: [{name: m, base-url: "http://h"}]}
                """);
        assertProblem(
                problem,
                3,
                "model.services.completions",
                "expected one of chat, embedding, rerank, tts, stt, img-gen, img-edit");
    }

    @Test
    void sameServiceUnderBothOfItsNamesIsAnError() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    img-gen: {instances: [{name: a, base-url: "http://h"}]}
                    imgGen: {instances: [{name: b, base-url: "http://h"}]}
                """);
        assertProblem(problem, 4, "model.services.imgGen", "configured twice");
    }

    @Test
    void misspeltInstanceKeySuggestsTheNearestOne() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://h
                          wieght: 2
                """);
        assertProblem(problem, 7, "model.services.chat.instances[0].wieght", "unknown key; did you mean 'weight'?");
    }

    @Test
    void unknownLoadBalanceTypeListsTheAllowedOnesInsteadOfFallingBack() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      load-balance:
                        type: fastest
                      instances: [{name: m, base-url: "http://h"}]
                """);
        assertProblem(
                problem,
                5,
                "model.services.chat.load-balance.type",
                "unknown load-balance type 'fastest'; expected one of random, round-robin, least-connections, ip-hash");
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-1", "abc", "1.5", "1000001"})
    void weightMustBeAPositiveWholeNumber(String weight) {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: a
                          base-url: http://h1
                        - name: b
                          base-url: http://h2
                          weight: %s
                """.formatted(weight));
        assertProblem(
                problem,
                9,
                "model.services.chat.instances[1].weight",
                "expected a whole number from 1 to 1000000, got '" + weight + "'");
    }

    @Test
    void instanceWithoutNameIsReportedAtItsListItem() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: a
                          base-url: http://h1
                        - base-url: http://h2
                          weight: 2
                """);
        assertProblem(problem, 7, "model.services.chat.instances[1]", "missing key 'name'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-", "- {}", "- adapter: gpustack"})
    void instanceWithoutNameAndBaseUrlIsReportedNotDropped(String item) {
        List<ConfigProblem> problems = problems("""
                model:
                  services:
                    chat:
                      instances:
                        - name: a
                          base-url: http://h
                        %s
                """.formatted(item));
        assertEquals(2, problems.size(), problems::toString);
        assertProblem(problems.get(0), 7, "model.services.chat.instances[1]", "missing key 'name'");
        assertProblem(problems.get(1), 7, "model.services.chat.instances[1]", "missing key 'base-url'");
    }

    @Test
    void instanceThatIsNotAMappingIsOneError() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - http://h
                """);
        assertProblem(problem, 5, "model.services.chat.instances[0]", "expected a mapping of keys to values");
    }

    @Test
    void instanceWithoutBaseUrlIsReportedAtItsListItem() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: a
                          path: /v1/chat/completions
                """);
        assertProblem(problem, 5, "model.services.chat.instances[0]", "missing key 'base-url'");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "not a url                  | expected a URL such as http://10.0.0.5:8000",
                "10.0.0.5:8000              | expected a URL such as http://10.0.0.5:8000, got '10.0.0.5:8000'",
                "localhost:8000             | expected an http:// or https:// URL",
                "ftp://10.0.0.5             | expected an http:// or https:// URL",
                "http:///v1                 | expected a URL with a host",
                "http://10.0.0.5:8000/?k=v  | scheme, host, port and an optional path prefix only",
                "http://10.0.0.5:8000/#top  | scheme, host, port and an optional path prefix only",
                "http://user:pw@10.0.0.5    | scheme, host, port and an optional path prefix only"
            })
    void baseUrlMustBeAPlainHttpOrHttpsUrl(String baseUrl, String messageFragment) {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: "%s"
                """.formatted(baseUrl));
        assertProblem(problem, 6, "model.services.chat.instances[0].base-url", messageFragment);
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1/chat/completions", "/v1/chat?x=1", "/v1/chat completions"})
    void pathMustBeAnAbsolutePath(String path) {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://h
                          path: "%s"
                """.formatted(path));
        assertProblem(
                problem,
                7,
                "model.services.chat.instances[0].path",
                "expected an absolute path such as /v1/chat/completions, got '" + path + "'");
    }

    @Test
    void statusMustBeActiveOrInactive() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://h
                          status: down
                """);
        assertProblem(
                problem, 7, "model.services.chat.instances[0].status", "expected 'active' or 'inactive', got 'down'");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://10.0.0.5", "http://10.0.0.5:80", "http://10.0.0.5/"})
    void sameModelAtTheSameEndpointTwiceIsOneInstanceWithBothSharesAndAWarning(String secondBaseUrl) {
        // JAiRouter balances over list entries, so a backend listed twice gets two shares.
        LoadedConfig loaded = load(modelMAtTenZeroZeroFiveAnd(secondBaseUrl));
        List<Instance> instances =
                loaded.config().services().get(ServiceType.CHAT).instances();
        assertEquals(1, instances.size());
        assertEquals(2, instances.get(0).weight());
        assertProblem(
                loaded.warnings().get(0),
                7,
                "model.services.chat.instances[1]",
                "model 'm' at " + secondBaseUrl + " is listed again; as in JAiRouter, which balances over both"
                        + " entries, it gets both shares: weight 1 + 1 = 2 (this entry's other settings are not used)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"http://10.0.0.5:8080", "http://10.0.0.6", "https://10.0.0.5:80"})
    void sameModelAtAnotherEndpointIsNotADuplicate(String secondBaseUrl) {
        load(modelMAtTenZeroZeroFiveAnd(secondBaseUrl));
    }

    /** Model m twice in chat, at http://10.0.0.5 and at {@code secondBaseUrl}, the second item on line 7. */
    private static String modelMAtTenZeroZeroFiveAnd(String secondBaseUrl) {
        return """
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://10.0.0.5
                        - name: m
                          base-url: %s
                """.formatted(secondBaseUrl);
    }

    @Test
    void sameModelAtADifferentPathIsNotADuplicate() {
        load("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          base-url: http://10.0.0.5:8000
                        - name: m
                          base-url: http://10.0.0.5:8000/other
                """);
    }

    @Test
    void keyRepeatedInOneMappingIsADuplicateKey() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    chat:
                      instances:
                        - name: m
                          weight: 2
                          base-url: http://h
                          weight: 3
                """);
        assertProblem(problem, 8, "model.services.chat.instances[0].weight", "duplicate key");
    }

    @Test
    void everyProblemInAFileIsReportedInFileOrder() {
        List<ConfigProblem> problems = problems("""
                server:
                  port: 99999
                model:
                  services:
                    chat:
                      load-balance:
                        type: fastest
                      instances:
                        - name: a
                          base-url: ftp://h
                        - name: b
                          base-url: http://h
                          wieght: 2
                    rerank:
                      instances:
                        - base-url: http://h
                          weight: 0
                """);
        assertEquals(
                List.of(
                        "2 server.port",
                        "7 model.services.chat.load-balance.type",
                        "10 model.services.chat.instances[0].base-url",
                        "13 model.services.chat.instances[1].wieght",
                        "16 model.services.rerank.instances[0]",
                        "17 model.services.rerank.instances[0].weight"),
                problems.stream().map(p -> p.line() + " " + p.key()).toList(),
                problems::toString);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "\n\n", "# only a comment\n"})
    void emptyFileIsAnError(String text) {
        assertProblem(onlyProblem(text), 1, "model", "the file is empty");
    }

    @Test
    void fileWithoutModelSectionIsAnError() {
        ConfigProblem problem = onlyProblem("""
                server:
                  port: 8080
                """);
        assertProblem(problem, 1, "", "missing key 'model'");
    }

    @Test
    void modelWithoutServicesIsAnError() {
        ConfigProblem problem = onlyProblem("""
                server:
                  port: 8080
                model:
                  load-balance:
                    type: random
                """);
        assertProblem(problem, 3, "model", "missing key 'services'");
    }

    @Test
    void servicesWithOnlyALoadBalanceIsAnError() {
        ConfigProblem problem = onlyProblem("""
                model:
                  services:
                    load-balance:
                      type: random
                """);
        assertProblem(problem, 2, "model.services", "no services configured");
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "65536", "http"})
    void portMustBeFrom0To65535(String port) {
        ConfigProblem problem = onlyProblem("""
                server:
                  port: %s
                model:
                  services:
                    chat: {instances: [{name: m, base-url: "http://h"}]}
                """.formatted(port));
        assertProblem(problem, 2, "server.port", "expected a whole number from 0 to 65535, got '" + port + "'");
    }

    @ParameterizedTest
    @ValueSource(
            strings = {"32XB", "1.5MB", "MB", "-1", "1000", "5GB", "4294967296", "99999999999999999999", "17179869185G"
            })
    void maxRequestSizeMustBeASizeFrom1KBTo4GB(String size) {
        ConfigProblem problem = onlyProblem("""
                server:
                  max-request-size: %s
                model:
                  services:
                    chat: {instances: [{name: m, base-url: "http://h"}]}
                """.formatted(size));
        assertProblem(
                problem,
                2,
                "server.max-request-size",
                "expected a size from 1KB to 4GB such as 32MB, got '" + size + "'");
    }

    @Test
    void exceptionMessageHasOneLinePerProblemAsSourceLineKeyMessage() {
        ConfigException e = assertThrows(ConfigException.class, () -> ConfigLoader.parse("""
                        model:
                          services:
                            chat:
                              instances:
                                - name: m
                                  base-url: http://h
                                  weight: 0
                                - base-url: http://h
                        """, "conf/application.yml"));
        assertEquals("""
                conf/application.yml:7: model.services.chat.instances[0].weight: \
                expected a whole number from 1 to 1000000, got '0'
                conf/application.yml:8: model.services.chat.instances[1]: missing key 'name' \
                (the model it serves; or 'models: auto' for every model its server lists at GET /v1/models)""", e.getMessage());
    }
}
