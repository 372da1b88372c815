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

    /** @param batches told of every batch (one gRPC call), {@code records} of every record in it */
    RequestRecordReceiver(Runnable batches, Consumer<RequestRecord> records) {
        this.batches = batches;
        this.records = records;
    }

    @Override
    public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
        batches.run();
        for (ResourceLogs resource : request.getResourceLogsList()) {
            for (ScopeLogs scope : resource.getScopeLogsList()) {
                for (LogRecord log : scope.getLogRecordsList()) {
                    RequestRecord.parse(log.getBody().getStringValue()).ifPresent(records);
                }
            }
        }
        response.onNext(ExportLogsServiceResponse.getDefaultInstance());
        response.onCompleted();
    }
}
