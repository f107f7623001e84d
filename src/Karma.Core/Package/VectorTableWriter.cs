using System.Runtime.InteropServices;

namespace Karma.Core.Package;

/// <summary>Writes vector table files (ITEM_TABLES.md): a 64-byte header, then a row-major matrix.</summary>
public static class VectorTableWriter
{
    private const int ChunkElements = 1 << 16;

    /// <summary>Floats per write call (4 MiB).</summary>
    private const int WriteSlice = 1 << 20;

    /// <summary>
    /// Writes <paramref name="data"/> (<paramref name="rows"/> x <paramref name="cols"/>, row-major) to
    /// <paramref name="path"/>. The file is written beside the target under a temporary name, flushed
    /// and then renamed over <paramref name="path"/>, so readers never see a half-written table.
    /// </summary>
    /// <param name="path">The table file to create or replace.</param>
    /// <param name="data">Exactly <c>rows * cols</c> finite numbers, row-major.</param>
    /// <param name="rows">Number of rows (items); zero is allowed.</param>
    /// <param name="cols">Number of columns (vector width); at least one.</param>
    /// <param name="type">
    /// Stored element type. <see cref="VectorElementType.Float16"/> converts with <see cref="Half"/>
    /// (round to nearest, ties to even).
    /// </param>
    /// <exception cref="ArgumentException">
    /// The shape does not match the data, or a value is not finite (or overflows float16).
    /// </exception>
    public static void Write(string path, ReadOnlySpan<float> data, int rows, int cols, VectorElementType type)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        int elementSize = VectorTableFormat.ElementSize(type);
        if (elementSize == 0)
        {
            throw new ArgumentOutOfRangeException(nameof(type), type, "unknown vector element type");
        }

        if ((long)rows * cols != data.Length)
        {
            throw new ArgumentException(
                $"data has {data.Length} numbers but the shape is {rows} x {cols} = {(long)rows * cols}", nameof(data));
        }

        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("vector tables are written on little-endian hosts only");
        }

        CheckValues(data, cols, type);

        string full = Path.GetFullPath(path);
        string temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                long payloadBytes = (long)data.Length * elementSize;
                Span<byte> header = stackalloc byte[VectorTableFormat.HeaderSize];
                VectorTableFormat.WriteHeader(header, type, rows, cols, payloadBytes);
                stream.Write(header);
                if (type == VectorElementType.Float32)
                {
                    // In slices: MemoryMarshal.AsBytes of more than 2 GiB (a 10M x 64 table) overflows an int length.
                    for (int at = 0, n; at < data.Length; at += n)
                    {
                        n = Math.Min(WriteSlice, data.Length - at);
                        stream.Write(MemoryMarshal.AsBytes(data.Slice(at, n)));
                    }
                }
                else
                {
                    WriteHalves(stream, data);
                }

                stream.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    private static void WriteHalves(FileStream stream, ReadOnlySpan<float> data)
    {
        var buffer = new Half[Math.Min(ChunkElements, Math.Max(data.Length, 1))];
        for (int start = 0; start < data.Length; start += buffer.Length)
        {
            var chunk = data.Slice(start, Math.Min(buffer.Length, data.Length - start));
            for (int i = 0; i < chunk.Length; i++)
            {
                buffer[i] = (Half)chunk[i];
            }

            stream.Write(MemoryMarshal.AsBytes(buffer.AsSpan(0, chunk.Length)));
        }
    }

    private static void CheckValues(ReadOnlySpan<float> data, int cols, VectorElementType type)
    {
        float limit = type == VectorElementType.Float16 ? (float)Half.MaxValue : float.MaxValue;
        for (int i = 0; i < data.Length; i++)
        {
            float x = data[i];
            if (!float.IsFinite(x))
            {
                throw new ArgumentException($"value at row {i / cols}, column {i % cols} is not finite ({x})", nameof(data));
            }

            // Values just above Half.MaxValue still round down to it; only those that become infinity are refused.
            if (Math.Abs(x) > limit && Half.IsInfinity((Half)x))
            {
                throw new ArgumentException(
                    $"value at row {i / cols}, column {i % cols} ({x}) overflows float16 (largest finite is {Half.MaxValue})",
                    nameof(data));
            }
        }
    }
}
