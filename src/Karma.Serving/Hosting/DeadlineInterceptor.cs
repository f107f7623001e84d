using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Karma.Serving.Hosting;

/// <summary>
/// Deadlines (admission is <see cref="CallAdmissionMiddleware"/>, before the body is read): a <c>karma.v1.Retrieval</c>
/// call whose deadline has already passed is answered DEADLINE_EXCEEDED without being computed, and no call that
/// finishes after its deadline is answered OK.
/// </summary>
public sealed class DeadlineInterceptor : Interceptor
{
    private static readonly string AdmittedService = "/" + Contracts.V1.Retrieval.Descriptor.FullName + "/";

    /// <inheritdoc />
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context,
        UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        if (context.Method.StartsWith(AdmittedService, StringComparison.Ordinal) && context.Deadline <= DateTime.UtcNow)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline had passed when the call was admitted; it was not computed"));
        }

        var response = await continuation(request, context).ConfigureAwait(false);
        // Grpc.AspNetCore answers DEADLINE_EXCEEDED itself when its deadline timer fires; this closes the race where the
        // work ends just after the deadline but before the timer's answer.
        if (context.Deadline <= DateTime.UtcNow)
        {
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "the deadline expired before the call finished"));
        }

        return response;
    }
}
