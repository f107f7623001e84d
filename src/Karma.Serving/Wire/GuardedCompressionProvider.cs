using System.IO.Compression;
using Grpc.Core;
using Grpc.Net.Compression;

namespace Karma.Serving.Wire;

/// <summary>
/// A request decompressor with the receive limit applied to what comes out, and damage answered INVALID_ARGUMENT.
/// <para>
/// Why: grpc-dotnet checks <c>MaxReceiveMessageSize</c> against the compressed frame only (<c>TryReadMessage</c>) and
/// then decompresses the whole message into a <see cref="MemoryStream"/>, so 4 MiB of gzip could grow to gigabytes in
/// the process; and a corrupt stream's <see cref="InvalidDataException"/> became UNKNOWN with an Error log entry.
/// Responses are compressed by the wrapped provider unchanged.
/// </para>
/// </summary>
public sealed class GuardedCompressionProvider(ICompressionProvider inner, long maxMessage) : ICompressionProvider
{
    /// <inheritdoc />
    public string EncodingName => inner.EncodingName;

    /// <inheritdoc />
    public Stream CreateCompressionStream(Stream stream, CompressionLevel? compressionLevel) => inner.CreateCompressionStream(stream, compressionLevel);

    /// <inheritdoc />
    public Stream CreateDecompressionStream(Stream stream) => new Bounded(inner.CreateDecompressionStream(stream), maxMessage, EncodingName);

    private sealed class Bounded(Stream inner, long max, string encoding) : Stream
    {
        private long _total;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => _total;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            int n;
            try
            {
                n = inner.Read(buffer);
            }
            catch (InvalidDataException)
            {
                throw WireRefusalException.Refuse(StatusCode.InvalidArgument, RefusalKind.Framing, $"the {encoding}-compressed request message is corrupt");
            }

            _total += n;
            if (_total > max)
            {
                throw WireRefusalException.Refuse(StatusCode.ResourceExhausted, RefusalKind.Oversize,
                    $"the {encoding}-compressed request message decompresses to more than {max} bytes, the most accepted");
            }

            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
