package org.jairouter.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

/**
 * Reads a config file as UTF-8 text. Every way a file can fail to be text — missing, a folder,
 * unreadable, bytes that are not UTF-8 — becomes a problem that names the file, like a config error.
 */
public final class ConfigText {
    public static final String NOT_FOUND = "file not found";

    private ConfigText() {}

    public static String read(Path file) throws ConfigException {
        return decode(file, bytes(file));
    }

    /** The file's bytes, not yet decoded: a poll that finds them unchanged need not decode them again. */
    public static byte[] bytes(Path file) throws ConfigException {
        if (Files.isDirectory(file)) {
            throw problem(file, 0, "is a folder; expected a YAML file");
        }
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw problem(file, 0, NOT_FOUND);
        } catch (AccessDeniedException e) {
            throw problem(file, 0, "permission denied; the router cannot read this file");
        } catch (IOException e) {
            throw problem(file, 0, "cannot read file: " + e.getMessage());
        }
        return bytes;
    }

    /** Strict UTF-8: a stray byte is reported with its line, never replaced or skipped silently. */
    public static String decode(Path file, byte[] bytes) throws ConfigException {
        if (ascii(bytes)) {
            // Most configs are ASCII, which is valid UTF-8 as it is: one copy instead of a decode through UTF-16.
            return new String(bytes, StandardCharsets.US_ASCII);
        }
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            return decoder.decode(ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            int offset = firstInvalidByte(bytes);
            throw problem(
                    file,
                    lineOf(bytes, offset),
                    String.format(
                            "not UTF-8 text: byte 0x%02x at offset %d; save the file as UTF-8",
                            bytes[offset] & 0xff, offset));
        }
    }

    private static boolean ascii(byte[] bytes) {
        for (byte b : bytes) {
            if (b < 0) {
                return false;
            }
        }
        return true;
    }

    private static int firstInvalidByte(byte[] bytes) {
        CharsetDecoder decoder = StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        java.nio.CharBuffer out = java.nio.CharBuffer.allocate(bytes.length);
        decoder.decode(in, out, true);
        return Math.min(in.position(), bytes.length - 1);
    }

    private static int lineOf(byte[] bytes, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (bytes[i] == '\n') {
                line++;
            }
        }
        return line;
    }

    private static ConfigException problem(Path file, int line, String message) {
        return new ConfigException(List.of(new ConfigProblem(file.toString(), line, "", message)));
    }
}
