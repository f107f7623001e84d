using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;
using System.Numerics.Tensors;
using System.Text;

namespace Karma.Core.Package;

/// <summary>
/// A read-only, memory-mapped vector table (ITEM_TABLES.md): <see cref="Rows"/> x <see cref="Cols"/>
/// numbers stored row-major after a 64-byte header. All read members are safe to call from many threads
/// at once. Spans returned by <see cref="Row"/>, <see cref="RowRange"/> and <see cref="AsSpan"/> point into
/// the mapping and must not be used after <see cref="Dispose"/>.
/// </summary>
public sealed unsafe class VectorTable : IRowVectors, IDisposable
{
    private readonly IDisposable _memory;
    private readonly byte* _payload;
    private readonly int _elementSize;
    private int _disposed;

    private VectorTable(string path, IDisposable memory, byte* payload, VectorElementType type, int rows, int cols,
        VectorTableMemory memoryKind)
    {
        Path = path;
        _memory = memory;
        _payload = payload;
        Memory = memoryKind;
        ElementType = type;
        _elementSize = VectorTableFormat.ElementSize(type);
        Rows = rows;
        Cols = cols;
    }

    /// <summary>The path the table was opened from.</summary>
    public string Path { get; }

    /// <summary>Number of rows (items).</summary>
    public int Rows { get; }

    /// <summary>Number of columns (vector width).</summary>
    public int Cols { get; }

    /// <summary>How the numbers are stored on disk.</summary>
    public VectorElementType ElementType { get; }

    /// <summary>Where the numbers live while the table is open.</summary>
    public VectorTableMemory Memory { get; }

    /// <summary>
    /// Opens and memory-maps a table read-only after validating its header and length.
    /// </summary>
    /// <param name="path">The table file.</param>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid version-1 vector table; the message names the file and the problem.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static VectorTable Open(string path) => Open(path, VectorTableMemory.Mapped);

    /// <summary>Opens a table after validating its header and length, mapped or copied as <paramref name="memory"/> says.</summary>
    /// <exception cref="InvalidDataException">
    /// The file is not a valid version-1 vector table; the message names the file and the problem.
    /// </exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static VectorTable Open(string path, VectorTableMemory memory)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("vector tables are read on little-endian hosts only");
        }

        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete,
            bufferSize: 1, FileOptions.None);
        MemoryMappedFile? file = null;
        MemoryMappedViewAccessor? view = null;
        bool acquired = false;
        try
        {
            var (type, rows, cols) = ReadHeader(path, stream);
            if (memory is VectorTableMemory.Anonymous or VectorTableMemory.HugePages)
            {
                using (stream)
                {
                    long bytes = (long)rows * cols * VectorTableFormat.ElementSize(type);
                    var copy = AnonymousTableMemory.Read(stream.SafeFileHandle, VectorTableFormat.HeaderSize, bytes, memory == VectorTableMemory.HugePages);
                    return new VectorTable(path, copy, copy.Pointer, type, rows, cols, memory);
                }
            }

            if (memory != VectorTableMemory.Mapped)
            {
                throw new ArgumentOutOfRangeException(nameof(memory), memory, "unknown table memory");
            }

            file = MemoryMappedFile.CreateFromFile(stream, mapName: null, capacity: 0, MemoryMappedFileAccess.Read,
                HandleInheritability.None, leaveOpen: false);
            view = file.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            acquired = true;
            byte* payload = basePtr + view.PointerOffset + VectorTableFormat.HeaderSize;
            return new VectorTable(path, new Mapping(file, view), payload, type, rows, cols, VectorTableMemory.Mapped);
        }
        catch
        {
            if (acquired)
            {
                view!.SafeMemoryMappedViewHandle.ReleasePointer();
            }

            view?.Dispose();
            file?.Dispose();
            stream.Dispose();
            throw;
        }
    }

    private static (VectorElementType Type, int Rows, int Cols) ReadHeader(string path, FileStream stream)
    {
        long length = stream.Length;
        if (length == 0)
        {
            throw Bad(path, $"empty file (0 bytes); a vector table starts with a {VectorTableFormat.HeaderSize}-byte header");
        }

        if (length < VectorTableFormat.HeaderSize)
        {
            throw Bad(path, $"file is {length} bytes, shorter than the {VectorTableFormat.HeaderSize}-byte header");
        }

        Span<byte> header = stackalloc byte[VectorTableFormat.HeaderSize];
        stream.ReadExactly(header);

        var magic = header.Slice(VectorTableFormat.MagicOffset, VectorTableFormat.Magic.Length);
        if (!magic.SequenceEqual(VectorTableFormat.Magic))
        {
            throw Bad(path, $"bad magic: expected \"KARMAVEC\", found {Describe(magic)}");
        }

        uint version = BinaryPrimitives.ReadUInt32LittleEndian(header[VectorTableFormat.VersionOffset..]);
        if (version != VectorTableFormat.Version)
        {
            throw Bad(path, $"unsupported format version {version} (this reader supports version {VectorTableFormat.Version})");
        }

        uint typeCode = BinaryPrimitives.ReadUInt32LittleEndian(header[VectorTableFormat.ElementTypeOffset..]);
        int elementSize = typeCode <= int.MaxValue ? VectorTableFormat.ElementSize((VectorElementType)typeCode) : 0;
        if (elementSize == 0)
        {
            throw Bad(path, $"unknown element type {typeCode} (1 = float32, 2 = float16)");
        }

        uint headerSize = BinaryPrimitives.ReadUInt32LittleEndian(header[VectorTableFormat.HeaderSizeOffset..]);
        if (headerSize != VectorTableFormat.HeaderSize)
        {
            throw Bad(path, $"header size field is {headerSize}, expected {VectorTableFormat.HeaderSize}");
        }

        if (header[VectorTableFormat.ReservedOffset..].ContainsAnyExcept((byte)0))
        {
            throw Bad(path, $"reserved header bytes {VectorTableFormat.ReservedOffset}..{VectorTableFormat.HeaderSize - 1} are not zero");
        }

        ulong rows = BinaryPrimitives.ReadUInt64LittleEndian(header[VectorTableFormat.RowsOffset..]);
        uint cols = BinaryPrimitives.ReadUInt32LittleEndian(header[VectorTableFormat.ColsOffset..]);
        if (cols == 0)
        {
            throw Bad(path, "zero cols: a table must have at least one column");
        }

        if (cols > int.MaxValue)
        {
            throw Bad(path, $"cols {cols} exceeds the supported maximum {int.MaxValue}");
        }

        if (rows > int.MaxValue)
        {
            throw Bad(path, $"rows {rows} exceeds the supported maximum {int.MaxValue}");
        }

        ulong payloadField = BinaryPrimitives.ReadUInt64LittleEndian(header[VectorTableFormat.PayloadBytesOffset..]);
        UInt128 expected = (UInt128)rows * cols * (uint)elementSize; // up to 2^64, so not a long
        if (payloadField != expected)
        {
            throw Bad(path,
                $"header payload length {payloadField} bytes does not match rows x cols x element size = "
                + $"{rows} x {cols} x {elementSize} = {expected}");
        }

        ulong actual = (ulong)(length - VectorTableFormat.HeaderSize);
        if (actual < payloadField)
        {
            throw Bad(path, $"truncated payload: expected {payloadField} bytes after the header, file has {actual}");
        }

        if (actual > payloadField)
        {
            throw Bad(path, $"trailing bytes: file is {length} bytes, expected {VectorTableFormat.HeaderSize + payloadField} "
                + $"({actual - payloadField} extra)");
        }

        return ((VectorElementType)typeCode, (int)rows, (int)cols);
    }

    private static InvalidDataException Bad(string path, string reason) => new($"{path}: {reason}");

    private static string Describe(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (byte b in bytes)
        {
            sb.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:X2}");
        }

        return sb.Append('"').ToString();
    }

    /// <summary>Row <paramref name="i"/> without copying; float32 tables only.</summary>
    /// <exception cref="InvalidOperationException">The table is float16 (use <see cref="CopyRow"/>).</exception>
    public ReadOnlySpan<float> Row(int i)
    {
        ThrowIfUnusable();
        RequireFloat32(nameof(Row));
        CheckRow(i);
        return new ReadOnlySpan<float>(_payload + ((long)i * Cols * sizeof(float)), Cols);
    }

    /// <summary>
    /// Rows <paramref name="start"/> .. <paramref name="start"/> + <paramref name="count"/> - 1 as one
    /// contiguous span without copying; float32 tables only. Lets an exact scan walk tables of any size
    /// in chunks whose <c>count * Cols</c> fits in an <see cref="int"/>.
    /// </summary>
    public ReadOnlySpan<float> RowRange(int start, int count)
    {
        ThrowIfUnusable();
        RequireFloat32(nameof(RowRange));
        if (start < 0 || count < 0 || start > Rows - count)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                $"rows [{start}, {(long)start + count}) are outside the table's {Rows} rows");
        }

        long n = (long)count * Cols;
        if (n > int.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(count),
                $"{count} rows x {Cols} columns = {n} numbers, more than one span can address ({int.MaxValue})");
        }

        return new ReadOnlySpan<float>(_payload + ((long)start * Cols * sizeof(float)), (int)n);
    }

    /// <summary>The whole matrix, row-major, without copying; float32 tables whose size fits in a span only.</summary>
    /// <exception cref="InvalidOperationException">
    /// The table is float16, or it holds more than <see cref="int.MaxValue"/> numbers (use <see cref="RowRange"/>).
    /// </exception>
    public ReadOnlySpan<float> AsSpan()
    {
        ThrowIfUnusable();
        RequireFloat32(nameof(AsSpan));
        long n = (long)Rows * Cols;
        if (n > int.MaxValue)
        {
            throw new InvalidOperationException(
                $"{Path}: {Rows} x {Cols} = {n} numbers is more than one span can address ({int.MaxValue}); use RowRange");
        }

        return new ReadOnlySpan<float>(_payload, (int)n);
    }

    /// <summary>Copies row <paramref name="i"/> as float32 into <paramref name="destination"/> (length <see cref="Cols"/>).</summary>
    public void CopyRow(int i, Span<float> destination)
    {
        ThrowIfUnusable();
        CheckRow(i);
        if (destination.Length != Cols)
        {
            throw new ArgumentException($"destination has {destination.Length} numbers, a row has {Cols}", nameof(destination));
        }

        CopyRowUnchecked(i, destination);
    }

    /// <summary>
    /// Copies the given rows, in order, as float32 into <paramref name="destination"/>, one after another
    /// (length <c>rows.Length * Cols</c>). Rows may repeat.
    /// </summary>
    public void Gather(ReadOnlySpan<int> rows, Span<float> destination)
    {
        ThrowIfUnusable();
        if ((long)rows.Length * Cols != destination.Length)
        {
            throw new ArgumentException(
                $"destination has {destination.Length} numbers, {rows.Length} rows x {Cols} columns need {(long)rows.Length * Cols}",
                nameof(destination));
        }

        for (int k = 0; k < rows.Length; k++)
        {
            int i = rows[k];
            if ((uint)i >= (uint)Rows)
            {
                throw new ArgumentOutOfRangeException(nameof(rows), i, $"rows[{k}] = {i} is outside the table's {Rows} rows");
            }

            CopyRowUnchecked(i, destination.Slice(k * Cols, Cols));
        }
    }

    private void CopyRowUnchecked(int i, Span<float> destination)
    {
        byte* row = _payload + ((long)i * Cols * _elementSize);
        if (ElementType == VectorElementType.Float32)
        {
            new ReadOnlySpan<float>(row, Cols).CopyTo(destination);
        }
        else
        {
            TensorPrimitives.ConvertToSingle(new ReadOnlySpan<Half>(row, Cols), destination);
        }
    }

    private void CheckRow(int i)
    {
        if ((uint)i >= (uint)Rows)
        {
            throw new ArgumentOutOfRangeException(nameof(i), i, $"row {i} is outside the table's {Rows} rows");
        }
    }

    private void RequireFloat32(string member)
    {
        if (ElementType != VectorElementType.Float32)
        {
            throw new InvalidOperationException(
                $"{Path}: {member} gives zero-copy float32 access, but the table stores {ElementType}; use CopyRow or Gather");
        }
    }

    private void ThrowIfUnusable() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);

    /// <summary>Unmaps the file. Call once no reader is using the table or spans taken from it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _memory.Dispose();
    }

    /// <summary>A read-only mapping whose pointer is held for the table's life.</summary>
    private sealed class Mapping(MemoryMappedFile file, MemoryMappedViewAccessor view) : IDisposable
    {
        public void Dispose()
        {
            view.SafeMemoryMappedViewHandle.ReleasePointer();
            view.Dispose();
            file.Dispose();
        }
    }
}
