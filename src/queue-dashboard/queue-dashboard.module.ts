import { Module } from '@nestjs/common';
import { AuthDataModule } from '../auth';
import { RateLimitHttpModule } from '../rate-limit/rate-limit.module';
import { QueueDashboardAccess } from './queue-dashboard-access';

/** Who may open /admin/queues; the dashboard itself is mounted on the HTTP app by useQueueDashboard. */
@Module({
  imports: [AuthDataModule, RateLimitHttpModule],
  providers: [QueueDashboardAccess],
  exports: [QueueDashboardAccess],
})
export class QueueDashboardHttpModule {}
