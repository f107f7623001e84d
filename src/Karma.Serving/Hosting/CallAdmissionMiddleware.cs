using Grpc.AspNetCore.Server;
using Grpc.Core;
using Karma.Serving.Wire;

namespace Karma.Serving.Hosting;

/// <summary>
/// Admission of <c>karma.v1.Retrieval</c> calls before anything of them is parsed or run (<see cref="CallAdmission"/>:
/// a slot, or a short wait in a bounded line, or RESOURCE_EXHAUSTED at once). A refusal is written directly (no
/// exception, no handler), so refusing costs little even when most of a storm is refused. Other services
/// (health, reflection, admin) pass untouched: overload never refuses a probe.
/// </summary>
public sealed class CallAdmissionMiddleware(RequestDelegate next, CallAdmission admission, Core.Telemetry.KarmaTelemetry telemetry)
{
    private static readonly string AdmittedService = Contracts.V1.Retrieval.Descriptor.FullName;

    /// <summary>Handles one request.</summary>
    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var method = context.GetEndpoint()?.Metadata.GetMetadata<GrpcMethodMetadata>()?.Method;
        if (method is null || method.ServiceName != AdmittedService)
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var result = await admission.EnterAsync(GrpcTimeout.Parse(context.Request.Headers["grpc-timeout"]), context.RequestAborted).ConfigureAwait(false);
        if (result != AdmissionResult.Admitted)
        {
            var (code, detail) = result switch
            {
                AdmissionResult.LineFull => (StatusCode.ResourceExhausted,
                    $"the server is at its limit of {admission.Limit} calls in progress and {admission.MaxWaiting} waiting; retry with backoff"),
                AdmissionResult.WaitedTooLong => (StatusCode.ResourceExhausted,
                    $"no call slot freed within {admission.MaxWait.TotalMilliseconds:F0} ms (or the deadline); retry with backoff"),
                _ => (StatusCode.Cancelled, "the caller went away while the call waited for a slot"),
            };
            telemetry.CallDone(method.FullName, code.ToString());
            TrailersOnlyResponse.Write(context.Response, code, detail);
            return;
        }

        try
        {
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            admission.Exit();
        }
    }
}
