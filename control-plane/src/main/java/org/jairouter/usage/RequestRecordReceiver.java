package org.jairouter.usage;

import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import java.util.function.Consumer;

/**
 * The OTLP logs service Envoys send their request records to (over the connection they get their config on).
 * Every batch is acknowledged at once; Envoy never waits on what is done with it.
 */
final class RequestRecordReceiver extends LogsServiceGrpc.LogsServiceImplBase {
    private final Runnable batches;
    private final Consumer<RequestRecord> records;
    private final Consumer<RequestStart> starts;

    /**
     * @param batches told of every batch (one gRPC call), {@code records} of every record in it and {@code
     *                starts} of every request start
     */
    RequestRecordReceiver(Runnable batches, Consumer<RequestRecord> records, Consumer<RequestStart> starts) {
        this.batches = batches;
        this.records = records;
        this.starts = starts;
    }

    @Override
    public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
        batches.run();
        for (ResourceLogs resource : request.getResourceLogsList()) {
            for (ScopeLogs scope : resource.getScopeLogsList()) {
                for (LogRecord log : scope.getLogRecordsList()) {
                    String text = log.getBody().getStringValue();
                    RequestRecord.parse(text)
                            .ifPresentOrElse(
                                    records, () -> RequestStart.parse(text).ifPresent(starts));
                }
            }
        }
        response.onNext(ExportLogsServiceResponse.getDefaultInstance());
        response.onCompleted();
    }
}
