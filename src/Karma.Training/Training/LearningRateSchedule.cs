namespace Karma.Training.Training;

/// <summary>Linear warm-up over the first 5% of steps (at least one), then cosine decay to 10% of the peak.</summary>
public static class LearningRateSchedule
{
    /// <summary>The rate at a zero-based step.</summary>
    public static double At(int step, int totalSteps, double peak)
    {
        int warmup = Math.Max(1, totalSteps / 20);
        if (step < warmup)
        {
            return peak * (step + 1) / warmup;
        }

        double progress = Math.Clamp((double)(step - warmup) / Math.Max(1, totalSteps - warmup), 0, 1);
        return peak * (0.1 + 0.9 * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
