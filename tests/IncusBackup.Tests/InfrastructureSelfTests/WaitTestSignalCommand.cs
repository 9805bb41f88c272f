using System.Management.Automation;

namespace IncusBackup.Tests.InfrastructureSelfTests;

/// <summary>
/// Works until stopped, writing one progress record and one object per tick. With -IgnoreStopForMilliseconds it
/// goes on that long after a stop request before noticing it, like code that does not honour Ctrl+C promptly.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "TestSignal")]
public sealed class WaitTestSignalCommand : PSCmdlet, IDisposable
{
    private readonly ManualResetEventSlim _stopRequested = new();

    [Parameter]
    public int TickMilliseconds { get; set; } = 20;

    [Parameter]
    public int IgnoreStopForMilliseconds { get; set; }

    protected override void ProcessRecord()
    {
        for (int tick = 1; ; tick++)
        {
            // Once the pipeline is stopping, WriteProgress/WriteObject throw PipelineStoppedException: that ends the loop.
            WriteProgress(new ProgressRecord(2, "Waiting", $"Tick {tick}"));
            WriteObject(tick);
            if (_stopRequested.Wait(TickMilliseconds))
            {
                Thread.Sleep(IgnoreStopForMilliseconds);
            }
        }
    }

    protected override void StopProcessing() => _stopRequested.Set();

    public void Dispose() => _stopRequested.Dispose();
}
