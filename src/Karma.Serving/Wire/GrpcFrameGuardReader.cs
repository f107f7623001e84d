using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using Grpc.Core;

namespace Karma.Serving.Wire;

/// <summary>
/// The request body as grpc-dotnet reads it, with every gRPC frame header checked as it goes by: compressed flag 0 or
/// 1, length within the receive limit, no frame cut short at the end of the body, and at most one message for a
/// method that takes one. A bad frame fails the read with a marked RESOURCE_EXHAUSTED or INVALID_ARGUMENT.
/// <para>
/// Why: grpc-dotnet (<c>PipeExtensions.ReadSingleMessageAsync</c>/<c>TryReadMessage</c>) turns a length of 2^31 or more
/// into an <c>IOException</c> and a flag other than 0/1 into an <c>InvalidDataException</c>, both answered UNKNOWN
/// "Exception was thrown by handler." with an Error log entry and stack trace; its own too-long and incomplete-frame
/// statuses (RESOURCE_EXHAUSTED, INTERNAL) come before any interceptor, so nothing counted them. Checking the headers
/// here, in one pass over bytes grpc-dotnet reads anyway (nothing is buffered or copied), covers every frame of every
/// method, streams included.
/// </para>
/// </summary>
public sealed class GrpcFrameGuardReader : PipeReader
{
    private const int HeaderSize = 5;
    private readonly PipeReader _inner;
    private readonly long _maxMessage;
    private readonly bool _singleMessage;
    private readonly string _method;
    private ReadOnlySequence<byte> _buffer; // the last buffer handed out
    private long _start;                    // body offset of _buffer's start
    private long _nextHeader;               // body offset of the next frame header not yet checked
    private int _frames;

    /// <summary>Wraps <paramref name="inner"/> for a call of <paramref name="method"/>.</summary>
    public GrpcFrameGuardReader(PipeReader inner, long maxMessage, bool singleMessage, string method)
    {
        _inner = inner;
        _maxMessage = maxMessage;
        _singleMessage = singleMessage;
        _method = method;
    }

    /// <inheritdoc />
    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        var result = await _inner.ReadAsync(cancellationToken).ConfigureAwait(false);
        Check(result);
        return result;
    }

    /// <inheritdoc />
    public override bool TryRead(out ReadResult result)
    {
        if (!_inner.TryRead(out result))
        {
            return false;
        }

        Check(result);
        return true;
    }

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc />
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _start += _buffer.Slice(_buffer.Start, consumed).Length;
        _buffer = default;
        _inner.AdvanceTo(consumed, examined);
    }

    /// <inheritdoc />
    public override void CancelPendingRead() => _inner.CancelPendingRead();

    /// <inheritdoc />
    public override void Complete(Exception? exception = null) => _inner.Complete(exception);

    /// <inheritdoc />
    public override ValueTask CompleteAsync(Exception? exception = null) => _inner.CompleteAsync(exception);

    private void Check(in ReadResult result)
    {
        _buffer = result.Buffer;
        try
        {
            Span<byte> header = stackalloc byte[HeaderSize];
            long end = _start + _buffer.Length;
            while (_nextHeader + HeaderSize <= end)
            {
                _buffer.Slice(_nextHeader - _start, HeaderSize).CopyTo(header);
                uint length = BinaryPrimitives.ReadUInt32BigEndian(header[1..]);
                if (header[0] > 1)
                {
                    throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Framing,
                        $"{_method}: the request is not gRPC-framed (compressed flag {header[0]}, expected 0 or 1)");
                }

                if (length > _maxMessage)
                {
                    throw WireRefusalException.Refuse(StatusCode.ResourceExhausted, RefusalKind.Oversize,
                        $"{_method}: the request message is {length} bytes long; at most {_maxMessage} are accepted");
                }

                if (++_frames > 1 && _singleMessage)
                {
                    throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Framing,
                        $"{_method}: the request holds more than one message; the method takes one");
                }

                _nextHeader += HeaderSize + length;
            }

            if (result.IsCompleted && end != _nextHeader)
            {
                throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Framing,
                    $"{_method}: the request body ends inside a gRPC frame ({end} bytes received)");
            }

            if (result.IsCompleted && _frames == 0 && _singleMessage)
            {
                throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Framing, $"{_method}: the request has no message");
            }
        }
        catch (RpcException)
        {
            // The caller never sees this buffer, so it cannot advance past it; hand it back so the pipe stays usable.
            _inner.AdvanceTo(_buffer.Start, _buffer.End);
            _buffer = default;
            throw;
        }
    }
}
