using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Karma.Serving.Hosting;

/// <summary>Counts every finished call by method and final gRPC status (<c>karma_rpc_calls_total</c>); the outermost of the service's interceptors, so it sees the status the caller gets.</summary>
public sealed class CallMetricsInterceptor(Core.Telemetry.KarmaTelemetry telemetry) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        string status = nameof(StatusCode.OK);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            status = e.StatusCode.ToString();
            throw;
        }
        finally
        {
            telemetry.CallDone(context.Method, status);
        }
    }
}
