# Errors as operators read them: each names what is wrong and the next step, with a stable ErrorId.
BeforeAll {
    Import-Module (Join-Path $PSScriptRoot 'TestSupport.psm1') -Force
    Import-BuiltModule
    $script:NoIncus = Assert-IncusOrSkip
    $script:Repo = New-TestDirectory
    if (-not $script:NoIncus) {
        $script:Project = New-TestProject
        $script:Other = New-TestProject
        Invoke-Incus init busybox-test lonely --project $script:Other | Out-Null
    }
}

AfterAll {
    Remove-TestProject $script:Project
    Remove-TestProject $script:Other
    Remove-Item -Recurse -Force $script:Repo -ErrorAction SilentlyContinue
}

Describe 'Error messages' {
    It 'an instance that is in another project says where it is' -Skip:$script:NoIncus {
        $err = $null
        Backup-IncusInstance -Name lonely -Project $script:Project -Target $script:Repo -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
        $err[0].Exception.Message | Should -Be "No instance named 'lonely' in project '$script:Project'; there is one in project '$script:Other'."
        $err[0].ErrorDetails.RecommendedAction | Should -Be "Add -Project $script:Other (or -AllProjects)."
    }

    It 'a volume record piped to Backup-IncusInstance names the kind mismatch and the cmdlet to use' -Skip:$script:NoIncus {
        Invoke-Incus storage volume create default vdata --project $script:Project | Out-Null
        $record = Backup-IncusVolume -Name default/vdata -Project $script:Project -Target $script:Repo
        $err = $null
        $record | Backup-IncusInstance -Target $script:Repo -ErrorVariable err -ErrorAction SilentlyContinue
        $err | Should -HaveCount 1
        $err[0].FullyQualifiedErrorId | Should -BeLike 'InstanceNotFound,*'
        $err[0].Exception.Message | Should -Be "No instance named 'vdata' in project '$script:Project': 'vdata' is a custom volume."
        $err[0].ErrorDetails.RecommendedAction | Should -Be 'Back it up with Backup-IncusVolume (a record of Get-IncusBackup goes to the cmdlet of its Kind).'
    }

    It 'a project that does not exist is ProjectNotFound, not a missing instance' -Skip:$script:NoIncus {
        { Backup-IncusInstance -Name c1 -Project no-such-project-x -Target $script:Repo -ErrorAction Stop } |
            Should -Throw -ErrorId 'ProjectNotFound,IncusBackup.PowerShell.Commands.BackupIncusInstanceCommand'
    }

    It 'a file given as the repository is called a file' {
        $file = Join-Path $script:Repo 'not-a-folder'
        Set-Content -LiteralPath $file -Value x
        { Get-IncusBackup -Target $file -ErrorAction Stop } | Should -Throw -ExpectedMessage "*'$file' is a file, not a folder.*"
    }

    It 'a socket that is not there is named, with how to start Incus' {
        $saved = $env:INCUS_SOCKET
        $env:INCUS_SOCKET = '/nonexistent/incus.socket'
        try {
            $failure = { Backup-IncusInstance -Name c1 -Target $script:Repo -ErrorAction Stop } | Should -Throw -PassThru
            $failure.FullyQualifiedErrorId | Should -BeLike 'IncusUnreachable,*'
            $failure.Exception.Message | Should -BeLike 'There is no Incus socket at /nonexistent/incus.socket*'
            $failure.ErrorDetails.RecommendedAction | Should -BeLike 'Start incusd*INCUS_SOCKET*'
        }
        finally { $env:INCUS_SOCKET = $saved }
    }

    It 'a version that matches nothing is named in the error' {
        $err = $null
        Get-IncusBackup -Target $script:Repo -Name web -Version 20200101T000000Z -ErrorVariable err -ErrorAction SilentlyContinue
        $err[0].FullyQualifiedErrorId | Should -BeLike 'BackupNotFound,*'
        $err[0].Exception.Message | Should -BeLike "*'web'*20200101T000000Z*"
    }
}
