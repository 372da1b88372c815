package org.jairouter.app;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls back when a config file may have changed: the main file or any file it imports. It watches
 * each file's folder rather than the file, because editors save by writing a new file and renaming it over the old one, and Kubernetes
 * swaps a ConfigMap by replacing a symlink: the watched file itself is never modified in place.
 * Bursts of events (an editor's several writes) are debounced into one call. A slow poll backs up
 * the watch for file systems that send no events (some container bind mounts); the callback must
 * itself ignore calls when the content is unchanged.
 */
final class ConfigWatcher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConfigWatcher.class);
    private static final long DEBOUNCE_MILLIS = 50;
    private static final long POLL_MILLIS = 1000;
    static final Duration POLL_PERIOD = Duration.ofMillis(POLL_MILLIS);

    private final WatchService watch;
    private final ScheduledExecutorService scheduler;
    private final Thread watcher;
    private final Runnable onChange;
    private ScheduledFuture<?> pending;
    /** The folders watched so far: an edit that imports a file from another folder adds it. */
    private final Set<Path> folders = new HashSet<>();

    private ConfigWatcher(Collection<Path> files, Runnable onChange) throws IOException {
        this.onChange = onChange;
        this.watch = FileSystems.getDefault().newWatchService();
        watch(files);
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "config-reload");
            thread.setDaemon(true);
            return thread;
        });
        this.watcher = new Thread(this::watchEvents, "config-watch");
        this.watcher.setDaemon(true);
    }

    static ConfigWatcher start(Collection<Path> files, Runnable onChange) throws IOException {
        ConfigWatcher watcher = new ConfigWatcher(files, onChange);
        watcher.scheduler.scheduleWithFixedDelay(watcher::runSafely, POLL_MILLIS, POLL_MILLIS, TimeUnit.MILLISECONDS);
        watcher.watcher.start();
        return watcher;
    }

    /**
     * Watches the folders of these files too. A folder that does not exist (yet) is left to the poll,
     * which sees any file of the config appear within a second.
     */
    synchronized void watch(Collection<Path> files) {
        for (Path file : files) {
            Path folder = file.toAbsolutePath().getParent();
            if (folders.contains(folder) || !Files.isDirectory(folder)) {
                continue;
            }
            try {
                folder.register(
                        watch,
                        StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY,
                        StandardWatchEventKinds.ENTRY_DELETE);
                folders.add(folder);
            } catch (IOException | ClosedWatchServiceException e) {
                LOG.warn(
                        "Cannot watch {} for config edits ({}); its files are polled every second",
                        folder,
                        e.toString());
            }
        }
    }

    private void watchEvents() {
        try {
            while (true) {
                WatchKey key = watch.take();
                // Any change in the folder may be the file (or the symlink it resolves through).
                key.pollEvents();
                key.reset();
                debounce();
            }
        } catch (InterruptedException | ClosedWatchServiceException stopped) {
            // Closing.
        }
    }

    private synchronized void debounce() {
        if (pending != null) {
            pending.cancel(false);
        }
        pending = scheduler.schedule(this::runSafely, DEBOUNCE_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void runSafely() {
        try {
            onChange.run();
        } catch (RuntimeException e) {
            LOG.error("Config reload failed unexpectedly; the config in force keeps serving", e);
        }
    }

    @Override
    public void close() throws IOException {
        watcher.interrupt();
        watch.close();
        scheduler.shutdownNow();
    }
}
