using System.Diagnostics.CodeAnalysis;

namespace Karma.Core.Package;

/// <summary>How the numbers of a <see cref="VectorTable"/> are stored. The values are the on-disk codes.</summary>
public enum VectorElementType
{
    /// <summary>IEEE 754 binary32, 4 bytes, little-endian.</summary>
    [SuppressMessage("Naming", "CA1720", Justification = "Names the IEEE storage format, as in ONNX and the manifest.")]
    Float32 = 1,

    /// <summary>IEEE 754 binary16 (<see cref="Half"/>), 2 bytes, little-endian; read back as float32.</summary>
    Float16 = 2,
}
