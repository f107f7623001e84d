using System.Buffers.Binary;

namespace Karma.Core.Package;

/// <summary>The fixed 64-byte header of a vector table file (layout in ITEM_TABLES.md).</summary>
internal static class VectorTableFormat
{
    public const int HeaderSize = 64;
    public const uint Version = 1;

    public const int MagicOffset = 0;
    public const int VersionOffset = 8;
    public const int ElementTypeOffset = 12;
    public const int RowsOffset = 16;
    public const int ColsOffset = 24;
    public const int HeaderSizeOffset = 28;
    public const int PayloadBytesOffset = 32;
    public const int ReservedOffset = 40;

    /// <summary>"KARMAVEC" in ASCII.</summary>
    public static ReadOnlySpan<byte> Magic => "KARMAVEC"u8;

    /// <summary>Bytes per element, or 0 for an unknown code.</summary>
    public static int ElementSize(VectorElementType type) => type switch
    {
        VectorElementType.Float32 => 4,
        VectorElementType.Float16 => 2,
        _ => 0,
    };

    public static void WriteHeader(Span<byte> header, VectorElementType type, long rows, int cols, long payloadBytes)
    {
        header[..HeaderSize].Clear();
        Magic.CopyTo(header[MagicOffset..]);
        BinaryPrimitives.WriteUInt32LittleEndian(header[VersionOffset..], Version);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ElementTypeOffset..], (uint)type);
        BinaryPrimitives.WriteUInt64LittleEndian(header[RowsOffset..], (ulong)rows);
        BinaryPrimitives.WriteUInt32LittleEndian(header[ColsOffset..], (uint)cols);
        BinaryPrimitives.WriteUInt32LittleEndian(header[HeaderSizeOffset..], HeaderSize);
        BinaryPrimitives.WriteUInt64LittleEndian(header[PayloadBytesOffset..], (ulong)payloadBytes);
    }
}
