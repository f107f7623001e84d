using Grpc.Core;
using Grpc.Core.Interceptors;
using Karma.Serving.Core.Inference;
using Karma.Serving.Model;

namespace Karma.Serving.Hosting;

/// <summary>
/// Maps what a call throws to its gRPC status: bad context → INVALID_ARGUMENT, full queue → RESOURCE_EXHAUSTED, no model
/// → UNAVAILABLE, the caller gone → DEADLINE_EXCEEDED or CANCELLED; anything else is logged once and returned as
/// INTERNAL without internals. The innermost of the service's interceptors (<see cref="CallMetricsInterceptor"/>, then
/// <see cref="DeadlineInterceptor"/>, then this).
/// </summary>
public sealed class ErrorMappingInterceptor(ILogger<ErrorMappingInterceptor> logger) : Interceptor
{
    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (RpcException)
        {
            throw;
        }
        catch (InvalidContextException e)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, e.Message));
        }
        catch (QueueFullException e)
        {
            throw new RpcException(new Status(StatusCode.ResourceExhausted, e.Message));
        }
        catch (ModelUnavailableException e)
        {
            throw new RpcException(new Status(StatusCode.Unavailable, e.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            bool expired = context.Deadline <= DateTime.UtcNow;
            throw new RpcException(new Status(expired ? StatusCode.DeadlineExceeded : StatusCode.Cancelled,
                expired ? "the deadline expired before the call finished" : "the call was cancelled"));
        }
        catch (Exception e)
        {
            HostLog.Unhandled(logger, e, context.Method);
            throw new RpcException(new Status(StatusCode.Internal, "internal error; see the server log"));
        }
    }
}
