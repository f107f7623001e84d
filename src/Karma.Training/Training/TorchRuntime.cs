using static TorchSharp.torch;

namespace Karma.Training.Training;

/// <summary>Process-wide TorchSharp settings every run starts with.</summary>
public static class TorchRuntime
{
    /// <summary>Seeds libtorch and sets its thread count to the machine's cores.</summary>
    public static void Seed(int seed)
    {
        manual_seed(seed);
        set_num_threads(Math.Max(1, Environment.ProcessorCount));
    }

    /// <summary>
    /// A per-step RNG, so sampling after a resume is the same as in an uninterrupted run. The seed is mixed with
    /// SplitMix64, not <see cref="HashCode"/>, whose per-process random seed would make runs irreproducible.
    /// </summary>
    public static Random StepRandom(int seed, int step)
    {
        ulong z = (((ulong)(uint)seed << 32) | (uint)step) + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return new Random((int)(z & 0x7FFFFFFF));
    }
}
