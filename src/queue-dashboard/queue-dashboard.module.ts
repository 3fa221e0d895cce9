import { Module } from '@nestjs/common';
import { AuthModule } from '../auth';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { QueueDashboardAccess } from './queue-dashboard-access';

/** Who may open /admin/queues; the dashboard itself is mounted on the HTTP app by useQueueDashboard. */
@Module({
  imports: [AuthModule, RateLimitModule],
  providers: [QueueDashboardAccess],
  exports: [QueueDashboardAccess],
})
export class QueueDashboardModule {}
