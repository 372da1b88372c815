package org.jairouter.deploy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.jairouter.envoy.EnvoyBinary;
import org.jairouter.envoy.EnvoyProcess;

/** Envoy as a local process: the same pinned binary the control plane runs as its own child. */
final class LocalEnvoy implements EnvoyTarget {
    /** One worker thread each: several Envoys share the machine's two cores with the test. */
    private static final int CONCURRENCY = 1;

    @Override
    public RunningEnvoy start(String nodeId, String bootstrap) throws Exception {
        Path binary = EnvoyBinary.locate(Optional.empty(), EnvoyBinary.defaultInstallDir());
        Path workDir = Files.createTempDirectory("jairouter-" + nodeId + "-");
        EnvoyProcess process = EnvoyProcess.startOrAdopt(binary, bootstrap, workDir, "warning", CONCURRENCY);
        return new RunningEnvoy() {
            @Override
            public Optional<String> adminAddress() {
                return process.adminAddress();
            }

            @Override
            public void close() throws Exception {
                process.close();
                Folders.delete(workDir);
            }
        };
    }
}
