using Grpc.AspNetCore.Server;
using Grpc.Core;
using Karma.Serving.Wire;

namespace Karma.Serving.Hosting;

/// <summary>
/// Admission of <c>karma.v1.Retrieval</c> calls before anything of them is parsed or run: beyond
/// <see cref="CallAdmission.Limit"/> calls in progress, a call is answered RESOURCE_EXHAUSTED at once, written
/// directly (no exception, no handler), so refusing costs little even when most of a storm is refused. Other services
/// (health, reflection, admin) pass untouched: overload never refuses a probe.
/// </summary>
public sealed class CallAdmissionMiddleware(RequestDelegate next, CallAdmission admission, Core.Telemetry.KarmaTelemetry telemetry)
{
    private const string AdmittedService = "karma.v1.Retrieval";

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

        if (!admission.TryEnter())
        {
            telemetry.CallDone(method.FullName, nameof(StatusCode.ResourceExhausted));
            TrailersOnlyResponse.Write(context.Response, StatusCode.ResourceExhausted,
                $"the server is at its limit of {admission.Limit} calls in progress; retry with backoff");
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
