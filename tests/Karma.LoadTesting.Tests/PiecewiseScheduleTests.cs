namespace Karma.LoadTesting.Tests;

public sealed class PiecewiseScheduleTests
{
    // Due times are sums of double seconds turned into ticks: equal to the microsecond, not always to the tick.
    private static void Near(double seconds, TimeSpan actual) => Assert.InRange(actual.TotalSeconds, seconds - 1e-6, seconds + 1e-6);

    [Fact]
    public void OneSegment_IsTheConstantRateSchedule()
    {
        var piecewise = new PiecewiseRateSchedule([new RateSegment(TimeSpan.FromSeconds(3), 200)]);
        var constant = new OpenLoopSchedule(200, TimeSpan.FromSeconds(3));
        Assert.Equal(constant.Count, piecewise.Count);
        foreach (long i in new long[] { 0, 1, 17, 500, 599 })
        {
            Assert.Equal(constant.DueAt(i), piecewise.DueAt(i));
        }
    }

    [Fact]
    public void Storm_ChangesTheSpacingAtTheStep()
    {
        // 10 req/s for 2 s (20 requests), 100 req/s for 1 s (100), 10 req/s for 2 s (20).
        var s = new PiecewiseRateSchedule([new(TimeSpan.FromSeconds(2), 10), new(TimeSpan.FromSeconds(1), 100), new(TimeSpan.FromSeconds(2), 10)]);
        Assert.Equal(140, s.Count);
        Assert.Equal(TimeSpan.FromSeconds(5), s.Duration);
        Assert.Equal(TimeSpan.Zero, s.DueAt(0));
        Near(1.9, s.DueAt(19));     // last before the storm
        Near(2, s.DueAt(20));       // first of the storm, on the step
        Near(2.01, s.DueAt(21));
        Near(2.99, s.DueAt(119));   // last of the storm
        Near(3, s.DueAt(120));      // normal rate again
        Near(3.1, s.DueAt(121));
        Near(4.9, s.DueAt(139));
        Assert.Equal(TimeSpan.FromSeconds(3), s.SegmentStart(2));
    }

    [Fact]
    public void FractionalBoundary_CarriesThePhaseAcrossTheStep()
    {
        // 10 req/s for 0.25 s: requests at 0, 0.1, 0.2 and 2.5 "requests' worth" of time used; the next request is
        // due when the integral reaches 3, i.e. half a spacing of the next segment after its start.
        var s = new PiecewiseRateSchedule([new(TimeSpan.FromSeconds(0.25), 10), new(TimeSpan.FromSeconds(1), 100)]);
        Assert.Equal(102, s.Count); // floor(2.5 + 100)
        Near(0.2, s.DueAt(2));
        Near(0.255, s.DueAt(3));
        Near(0.265, s.DueAt(4));
    }

    [Fact]
    public void DueTimes_NeverGoBackwards()
    {
        var s = new PiecewiseRateSchedule([new(TimeSpan.FromSeconds(1.37), 33), new(TimeSpan.FromSeconds(0.71), 917), new(TimeSpan.FromSeconds(2.2), 41)]);
        for (long i = 1; i < s.Count; i++)
        {
            Assert.True(s.DueAt(i) >= s.DueAt(i - 1), $"request {i}");
        }

        Assert.True(s.DueAt(s.Count - 1) < s.Duration);
    }

    [Fact]
    public void BadSegments_AreRefused()
    {
        Assert.Throws<ArgumentException>(() => new PiecewiseRateSchedule([]));
        Assert.Throws<ArgumentException>(() => new PiecewiseRateSchedule([new(TimeSpan.FromSeconds(1), 0)]));
        Assert.Throws<ArgumentException>(() => new PiecewiseRateSchedule([new(TimeSpan.Zero, 10)]));
    }

    [Fact]
    public void StormPlan_WarmupAtTheNormalRate_PhasesAfterIt()
    {
        var storm = new StormSettings(500, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(5));
        var (schedule, phases) = StormPlan.Build(100, TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(2), storm);
        var piecewise = Assert.IsType<PiecewiseRateSchedule>(schedule);
        Assert.Equal([new RateSegment(TimeSpan.FromSeconds(12), 100), new(TimeSpan.FromSeconds(5), 500), new(TimeSpan.FromSeconds(15), 100)], piecewise.Segments);
        Assert.Equal(1200 + 2500 + 1500, schedule.Count);
        Assert.Equal(["before", "storm", "after"], phases.Select(p => p.Name));
        Assert.Equal(TimeSpan.FromSeconds(10), phases[1].Start);
        Assert.Equal(TimeSpan.FromSeconds(15), phases[2].Start);
        Assert.Equal(TimeSpan.FromSeconds(30), phases[2].End);
        Assert.Equal(1, LoadPhase.IndexAt(phases, TimeSpan.FromSeconds(14.999)));
        Assert.Equal(2, LoadPhase.IndexAt(phases, TimeSpan.FromSeconds(15)));
        Assert.Equal(-1, LoadPhase.IndexAt(phases, TimeSpan.FromSeconds(-0.5))); // warm-up
    }

    [Fact]
    public void StormPlan_WithoutStorm_IsConstantRate_AndNeedsRoomAroundAStorm()
    {
        var (schedule, phases) = StormPlan.Build(100, TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), null);
        Assert.IsType<OpenLoopSchedule>(schedule);
        Assert.Equal(1200, schedule.Count);
        Assert.Empty(phases);
        Assert.Throws<ArgumentException>(() => StormPlan.Build(100, TimeSpan.FromSeconds(10), TimeSpan.Zero, new StormSettings(500, TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(5))));
        Assert.Throws<ArgumentException>(() => StormPlan.Build(100, TimeSpan.FromSeconds(10), TimeSpan.Zero, new StormSettings(500, TimeSpan.Zero, TimeSpan.FromSeconds(5))));
        Assert.Equal(TimeSpan.FromSeconds(10), StormSettings.DefaultAt(TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(30)));
        Assert.Equal(TimeSpan.FromSeconds(3), StormSettings.DefaultAt(TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(9.5))); // 3.5 → whole seconds
        Assert.Equal(TimeSpan.FromSeconds(0.5), StormSettings.DefaultAt(TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(1)));  // under a second: as is
    }
}
