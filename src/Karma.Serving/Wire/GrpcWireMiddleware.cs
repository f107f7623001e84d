using System.IO.Pipelines;
using Grpc.AspNetCore.Server;
using Grpc.Core;
using Karma.Serving.Core.Telemetry;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Wire;

/// <summary>
/// In front of every gRPC method (after routing, so the endpoint is known): refuses content-types other than
/// <c>application/grpc</c> / <c>application/grpc+proto</c> with UNIMPLEMENTED before anything is parsed, puts
/// <see cref="GrpcFrameGuardReader"/> under the request body, and afterwards counts in <c>karma_rpc_calls_total</c>
/// and logs (<see cref="RefusalLog"/>) the calls that never reached an interceptor: refusals of the wire layer
/// (marked by <see cref="WireRefusalException"/>) and calls that ended UNKNOWN.
/// <para>
/// UNIMPLEMENTED for a content-type: grpc-dotnet accepts any <c>application/grpc+…</c> and hands the bytes to the
/// protobuf marshaller, so <c>application/grpc+json</c> was parsed as protobuf; this service implements the protobuf
/// codec only, and gRPC answers an unsupported message encoding the same way (UNIMPLEMENTED, grpc-dotnet's
/// <c>grpc-encoding</c> check). HTTP 200 with the status in trailers-only headers, so every gRPC client reads it.
/// </para>
/// </summary>
public sealed class GrpcWireMiddleware
{
    private readonly RequestDelegate _next;
    private readonly KarmaTelemetry _telemetry;
    private readonly RefusalLog _log;
    private readonly long _maxMessage;

    /// <summary>Creates the middleware.</summary>
    public GrpcWireMiddleware(RequestDelegate next, IOptions<GrpcServiceOptions> grpc, KarmaTelemetry telemetry, RefusalLog log)
    {
        ArgumentNullException.ThrowIfNull(grpc);
        _next = next;
        _telemetry = telemetry;
        _log = log;
        // Null means no limit in grpc-dotnet; a frame length is a 32-bit field and grpc-dotnet fails above int.MaxValue.
        _maxMessage = grpc.Value.MaxReceiveMessageSize ?? int.MaxValue;
    }

    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var grpcMethod = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>();
        if (grpcMethod is null || !HttpMethods.IsPost(context.Request.Method))
        {
            // Not a gRPC method (probes, metrics, the unimplemented catch-all), or a CORS preflight grpc-dotnet answers.
            await _next(context).ConfigureAwait(false);
            return;
        }

        string method = grpcMethod.Method.FullName;
        if (!IsProtobufGrpc(context.Request.ContentType))
        {
            string detail = $"{method}: content-type '{ErrorText.Bound(context.Request.ContentType ?? string.Empty, 60)}' is not supported; "
                            + "send application/grpc or application/grpc+proto";
            Refused(method, StatusCode.Unimplemented, RefusalKind.ContentType, detail);
            TrailersOnlyResponse.Write(context.Response, StatusCode.Unimplemented, detail);
            return;
        }

        bool singleMessage = grpcMethod.Method.Type is MethodType.Unary or MethodType.ServerStreaming;
        context.Features.Set<IRequestBodyPipeFeature>(
            new GuardedBody(new GrpcFrameGuardReader(context.Request.BodyReader, _maxMessage, singleMessage, method)));
        await _next(context).ConfigureAwait(false);

        var status = context.Features.Get<IServerCallContextFeature>()?.ServerCallContext.Status;
        if (status?.DebugException is WireRefusalException refusal)
        {
            Refused(method, status.Value.StatusCode, refusal.Kind, status.Value.Detail);
        }
        else if (status?.StatusCode == StatusCode.Unknown)
        {
            // Interceptors map every handler exception to a status, so UNKNOWN comes from outside them (grpc-dotnet's
            // reading or decompression, a streaming handler). grpc-dotnet's own Error entry with its stack trace is
            // filtered out (ServingExtensions); this line names the exception, at most once a second.
            var e = status.Value.DebugException;
            Refused(method, StatusCode.Unknown, RefusalKind.Unknown, e is null ? status.Value.Detail : $"{e.GetType().Name}: {e.Message}");
        }
    }

    private void Refused(string method, StatusCode code, RefusalKind kind, string detail)
    {
        _telemetry.CallDone(method, code.ToString());
        _log.Refused(kind, method, code, detail);
    }

    /// <summary><c>application/grpc</c> or <c>application/grpc+proto</c>, parameters allowed, case-insensitive.</summary>
    public static bool IsProtobufGrpc(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        var media = contentType.AsSpan();
        int parameters = media.IndexOf(';');
        media = (parameters >= 0 ? media[..parameters] : media).Trim();
        return media.Equals("application/grpc", StringComparison.OrdinalIgnoreCase)
               || media.Equals("application/grpc+proto", StringComparison.OrdinalIgnoreCase);
    }

    private sealed class GuardedBody(PipeReader reader) : IRequestBodyPipeFeature
    {
        public PipeReader Reader => reader;
    }
}
